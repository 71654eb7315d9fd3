"""The embedding store: memory-mapped vectors, their vocabulary and metadata."""
from .embeddings import Embeddings, Neighbors, load

__all__ = ["Embeddings", "Neighbors", "load"]
