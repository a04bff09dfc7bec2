"""ecm_ops: operational controls for LLM-written content in Wagtail."""

__version__ = "0.1.0"
