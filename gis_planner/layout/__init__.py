"""R7 (一(一)): the community layout — scale and reach (:mod:`.scale`), proposed boundaries
(:mod:`.boundaries`), premises siting (:mod:`.siting`) and the accessibility raster
(:mod:`.accessibility`)."""
