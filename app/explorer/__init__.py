"""The clip explorer panel (View ▸ Explorer): the map of every clip, lasso labelling, gallery,
find similar. The numbers live in ``model.explore``; this package draws and wires them."""
