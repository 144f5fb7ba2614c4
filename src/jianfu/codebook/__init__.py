"""The questionnaire codebook: schema validation, typed records and the printable instrument."""

from jianfu.codebook.load import load_codebook, parse_codebook
from jianfu.codebook.model import Codebook, Item, Scale

__all__ = ["Codebook", "Item", "Scale", "load_codebook", "parse_codebook"]
