"""Custom Rasa NLU components: text normalisation, a jieba tokenizer fed from policies_kb, and an
entity extractor for measures, topics, aspects and fact values."""
