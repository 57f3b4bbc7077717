"""The WeChat official-account (公众号) channel for Rasa: `channels.wechat.WeChatInput` in credentials.yml."""
from .channel import WeChatInput, WeChatOutput

__all__ = ["WeChatInput", "WeChatOutput"]
