"""The live feed: what the detector broadcasts (``services``), the
websocket that forwards it to the live page at a bounded frame rate
(``consumers``, ``frames``, ``routing``), the snapshot a client gets on
connect (``selectors``) and the page itself (``views``)."""
