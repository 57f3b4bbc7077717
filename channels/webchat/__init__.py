"""The web chat widget: the socket.io channel the Rasa server opens for it, the demo page server, and the
browser files (static/)."""
