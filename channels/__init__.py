"""Ways to reach the assistant besides Rasa's REST and socket.io channels: one sub-folder each."""
