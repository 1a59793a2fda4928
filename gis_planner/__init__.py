"""gis_planner: community layout and community-premises planning (Deqing 2020 opinions)."""

__version__ = "0.1.0"
