"""The embedding store: memory-mapped vectors, their vocabulary and metadata."""
from .embeddings import Embeddings
from .layout import COMPONENTS, Component, register_component
from .loading import load
from .search import Neighbors

__all__ = ["Embeddings", "Neighbors", "load", "COMPONENTS", "Component", "register_component"]
