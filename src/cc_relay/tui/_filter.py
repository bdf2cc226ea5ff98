"""The requests view's filter: ``provider:NAME model:TEXT status:5xx`` and free text."""

from __future__ import annotations

from dataclasses import dataclass

from cc_relay.admin.v1 import admin_pb2 as pb


@dataclass(frozen=True, slots=True)
class RequestFilter:
    provider: str = ""
    model: str = ""
    status: str = ""
    """A status (``429``) or a class (``5xx``)."""
    text: str = ""

    @classmethod
    def parse(cls, line: str) -> RequestFilter:
        named = {"provider": "", "model": "", "status": ""}
        words: list[str] = []
        for word in line.split():
            name, sep, value = word.partition(":")
            if sep and name in named:
                named[name] = value.lower()
            else:
                words.append(word.lower())
        return cls(**named, text=" ".join(words))

    def __str__(self) -> str:
        parts = [f"{k}:{v}" for k in ("provider", "model", "status") if (v := getattr(self, k))]
        return " ".join([*parts, self.text]).strip()

    def matches(self, request: pb.Request) -> bool:
        if self.provider and request.provider.lower() != self.provider:
            return False
        models = f"{request.client_model} {request.upstream_model}".lower()
        if self.model and self.model not in models:
            return False
        if self.status:
            code = str(request.status)
            wanted = self.status.rstrip("x")
            if not (code.startswith(wanted) if "x" in self.status else code == self.status):
                return False
        if self.text:
            haystack = " ".join(
                (request.id, request.path, request.provider, models, request.error)
            ).lower()
            return self.text in haystack
        return True
