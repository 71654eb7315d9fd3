"""The embedding store: memory-mapped vectors, their vocabulary and metadata."""
from .embeddings import Embeddings, Neighbors
from .layout import COMPONENTS, Component, register_component
from .loading import load

__all__ = ["Embeddings", "Neighbors", "load", "COMPONENTS", "Component", "register_component"]
