"""summarizer: news articles into a short summary plus claims grounded in the text.

>>> from summarizer import summarize, Settings
>>> result = summarize(open("article.txt").read(), Settings(base_url="http://127.0.0.1:8080/v1"))
>>> result.claims[0].evidence.start
"""

from summarizer.errors import SummarizerError
from summarizer.ingest import Article
from summarizer.pipeline import asummarize, summarize
from summarizer.result import SummaryResult
from summarizer.settings import Settings

__all__ = ["Article", "Settings", "SummarizerError", "SummaryResult", "asummarize", "summarize"]
__version__ = "0.1.0"
