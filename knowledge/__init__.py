"""The knowledge base drawn from the provincial plans, and the code that loads and checks it."""

from knowledge.model import KnowledgeBase, load_knowledge

__all__ = ["KnowledgeBase", "load_knowledge"]
