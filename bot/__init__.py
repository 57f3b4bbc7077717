"""The Rasa assistant: configuration, domain, and the Chinese NLU components it needs."""
