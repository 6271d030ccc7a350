"""The project's Vietnamese normalisation as a Rasa 3.6 component (design.md §4).

`config.yml` names `nlu.rasa_components.VietnameseTokenizer` first in the pipeline, so the
featurisers and classifiers see the folded view (no diacritics, đ→d, abbreviations
expanded) that the embedded engine sees, while the message text Rasa logs and hands to
the actions stays what the worker typed (a `/intent{...}` payload stays untouched too).

Imported only by Rasa (in `.rasa-venv`); it needs nlu.normalize and PyYAML, never
scikit-learn or the bot.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from nlu.normalize import normalize


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Split the folded, abbreviation-expanded view of a message into syllables."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokens of the folded view; offsets point into that view."""
        text = str(message.get(attribute) or "")
        folded = normalize(text).folded
        if not folded:  # emoji, punctuation: keep the message as one token so it has features
            return [Token(text, 0, lemma=text)]
        tokens, offset = [], 0
        for word in folded.split(" "):
            tokens.append(Token(word, offset, lemma=word))
            offset += len(word) + 1
        return tokens
