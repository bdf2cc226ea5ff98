"""Anthropic ``system`` + ``messages`` -> OpenAI chat ``messages``.

==========================================  ========================================================
Anthropic                                   OpenAI
==========================================  ========================================================
``system`` (string or text blocks)          a leading ``system`` message (blocks joined by blank
                                            lines)
``role: "system"`` entry in ``messages``    a ``system`` message in the same place
user ``text``                               text; text-only content becomes one string (blocks
                                            joined by blank lines), which every server accepts
user ``image`` (base64 / url)               ``image_url`` part (data URL / the URL)
user ``document``: text or content source   text part(s)
user ``document``: base64 PDF               ``file`` part with a data URL
user ``search_result``                      text part (title, source, text)
user ``tool_result``                        a ``role: tool`` message, placed before the rest of the
                                            user turn, since OpenAI needs tool answers right after
                                            the assistant's calls; ``is_error`` prefixes the text
                                            with ``Error:``; images go into the following user
                                            message
assistant ``text``                          ``content``
assistant ``tool_use``                      ``tool_calls`` (arguments as a JSON string)
unsigned ``thinking`` (this dialect's)      ``reasoning_content`` of the assistant message (unless
                                            ``replay_reasoning`` is off)
signed ``thinking``, ``redacted_thinking``  dropped: Anthropic's signatures mean nothing to another
                                            backend
``web_search_tool_result`` (history)        text listing the results' titles and URLs
other server-tool blocks (history)          dropped
==========================================  ========================================================

Reasoning goes back because DeepSeek's thinking mode refuses a tool loop whose
assistant turns lack their ``reasoning_content`` ("Missing reasoning_content field in
the assistant message"), and vLLM and llama.cpp chat templates read it. Servers that
refuse unknown message fields (api.openai.com, Mistral) produce no such blocks and meet
one only after a change of provider mid-session; api.openai.com gets none at all.

Tool ids go through ``ids.tool_id`` on both sides of a pair. What cannot be carried
without changing the request's meaning (images or documents by file id, PDFs by URL,
unknown user content) is refused with InvalidRequest, so the relay can try another
provider and otherwise answers 400 saying why.
"""

from __future__ import annotations

from typing import Any

import orjson

from cc_relay.errors import InvalidRequest
from cc_relay.providers.openai.ids import tool_id

__all__ = ["chat_messages", "system_text"]

_BLANK_LINE = "\n\n"
_DROPPED_ASSISTANT_BLOCKS = frozenset(
    {
        "thinking",
        "redacted_thinking",
        "server_tool_use",
        "mcp_tool_use",
        "mcp_tool_result",
        "web_fetch_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "tool_search_tool_result",
        "container_upload",
    }
)
_DROPPED_USER_BLOCKS = frozenset({"thinking", "redacted_thinking", "tool_reference"})

Message = dict[str, Any]
Part = dict[str, Any]


def system_text(system: object, where: str) -> str:
    """A ``system`` value (string or text blocks) as one string."""
    if system is None:
        return ""
    if isinstance(system, str):
        return system
    if isinstance(system, list):
        texts = []
        for i, block in enumerate(system):
            if not isinstance(block, dict) or not isinstance(block.get("text"), str):
                raise InvalidRequest(f"{where}[{i}]: expected a text block")
            texts.append(block["text"])
        return _BLANK_LINE.join(t for t in texts if t)
    raise InvalidRequest(f"{where}: expected a string or a list of text blocks")


def chat_messages(body: dict[str, Any], *, replay_reasoning: bool = True) -> list[Message]:
    """The chat ``messages`` for an Anthropic request body.

    Args:
        body: The client's parsed request.
        replay_reasoning: Send unsigned thinking back as ``reasoning_content``.
    """
    out: list[Message] = []
    system = system_text(body.get("system"), "system")
    if system:
        out.append({"role": "system", "content": system})
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise InvalidRequest("messages: expected a list")
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{where}: expected an object")
        role = message.get("role")
        content = message.get("content")
        if role == "user":
            translated = _user(content, where)
        elif role == "assistant":
            translated = _assistant(content, where, replay_reasoning)
        elif role == "system":
            text = system_text(content, f"{where}.content")
            translated = [{"role": "system", "content": text}] if text else []
        else:
            raise InvalidRequest(f"{where}.role: expected user, assistant or system")
        for item in translated:
            _append(out, item)
    return out


def _append(out: list[Message], message: Message) -> None:
    # OpenAI wants tool answers right after the assistant's tool calls; a system
    # entry that sits in between moves after them.
    if message["role"] != "tool":
        out.append(message)
        return
    at = len(out)
    while at > 1 and out[at - 1]["role"] == "system":
        at -= 1
    if at < len(out) and out[at - 1]["role"] in ("assistant", "tool"):
        out.insert(at, message)
    else:
        out.append(message)


# -- user turns ---------------------------------------------------------------------------


def _user(content: object, where: str) -> list[Message]:
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content: expected a string or a list of blocks")
    tools: list[Message] = []
    parts: list[Part] = []
    for i, block in enumerate(content):
        at = f"{where}.content[{i}]"
        if not isinstance(block, dict):
            raise InvalidRequest(f"{at}: expected an object")
        if block.get("type") == "tool_result":
            tools.append(_tool_message(block, at, parts))
        else:
            parts.extend(_user_parts(block, at))
    user = [{"role": "user", "content": _content(parts)}] if parts else []
    return tools + user


def _content(parts: list[Part]) -> str | list[Part]:
    if all(part["type"] == "text" for part in parts):
        return _BLANK_LINE.join(part["text"] for part in parts)
    return parts


def _user_parts(block: dict[str, Any], where: str) -> list[Part]:
    kind = block.get("type")
    if kind == "text":
        text = block.get("text")
        return [{"type": "text", "text": text}] if isinstance(text, str) and text else []
    if kind == "image":
        return [_image(block, where)]
    if kind == "document":
        return _document(block, where)
    if kind == "search_result":
        return [{"type": "text", "text": _search_result(block)}]
    if kind in _DROPPED_USER_BLOCKS:
        return []
    raise InvalidRequest(
        f"{where}: content blocks of type {kind!r} cannot be sent to an OpenAI-compatible provider"
    )


def _image(block: dict[str, Any], where: str) -> Part:
    source = block.get("source")
    source = source if isinstance(source, dict) else {}
    if source.get("type") == "base64":
        url = f"data:{source.get('media_type')};base64,{source.get('data')}"
    elif source.get("type") == "url" and isinstance(source.get("url"), str):
        url = source["url"]
    else:
        raise InvalidRequest(
            f"{where}.source: an OpenAI-compatible provider takes images as base64 or by URL only"
        )
    return {"type": "image_url", "image_url": {"url": url}}


def _document(block: dict[str, Any], where: str) -> list[Part]:
    source = block.get("source")
    source = source if isinstance(source, dict) else {}
    kind = source.get("type")
    title = block.get("title")
    heading = f"{title}\n\n" if isinstance(title, str) and title else ""
    if kind == "text" and isinstance(source.get("data"), str):
        return [{"type": "text", "text": heading + source["data"]}]
    if kind == "content":
        inner = source.get("content")
        if isinstance(inner, str):
            return [{"type": "text", "text": heading + inner}]
        blocks = inner if isinstance(inner, list) else []
        return [
            part
            for i, b in enumerate(blocks)
            if isinstance(b, dict)
            for part in _user_parts(b, f"{where}.source.content[{i}]")
        ]
    if kind == "base64" and source.get("media_type") == "application/pdf":
        name = title if isinstance(title, str) and title else "document.pdf"
        data = f"data:application/pdf;base64,{source.get('data')}"
        return [{"type": "file", "file": {"filename": name, "file_data": data}}]
    raise InvalidRequest(
        f"{where}.source: an OpenAI-compatible provider takes documents as "
        "text or as base64 PDF only; send the text instead"
    )


def _search_result(block: dict[str, Any]) -> str:
    lines = [str(block.get(key)) for key in ("title", "source") if block.get(key)]
    content = block.get("content")
    for item in content if isinstance(content, list) else ():
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            lines.append(item["text"])
    return "\n".join(lines)


def _tool_message(block: dict[str, Any], where: str, images: list[Part]) -> Message:
    call_id = block.get("tool_use_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(f"{where}.tool_use_id: expected a non-empty string")
    content = block.get("content")
    texts: list[str] = []
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        for i, item in enumerate(content):
            if not isinstance(item, dict):
                continue
            for part in _user_parts(item, f"{where}.content[{i}]"):
                if part["type"] == "text":
                    texts.append(part["text"])
                else:
                    images.append(
                        {"type": "text", "text": f"(attachment from tool call {tool_id(call_id)})"}
                    )
                    images.append(part)
    text = "\n".join(texts)
    if block.get("is_error") is True:
        text = f"Error: {text}" if text else "Error"
    return {"role": "tool", "tool_call_id": tool_id(call_id), "content": text}


# -- assistant turns ----------------------------------------------------------------------


def _assistant(content: object, where: str, replay_reasoning: bool) -> list[Message]:
    if isinstance(content, str):
        return [{"role": "assistant", "content": content}] if content else []
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content: expected a string or a list of blocks")
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for i, block in enumerate(content):
        if not isinstance(block, dict):
            raise InvalidRequest(f"{where}.content[{i}]: expected an object")
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "thinking" and not block.get("signature") and replay_reasoning:
            thought = block.get("thinking")
            reasoning.append(thought if isinstance(thought, str) else "")
        elif kind == "tool_use":
            calls.append(_tool_call(block, f"{where}.content[{i}]"))
        elif kind == "web_search_tool_result":
            texts.append(_web_results(block))
        elif kind not in _DROPPED_ASSISTANT_BLOCKS:
            raise InvalidRequest(
                f"{where}.content[{i}]: content blocks of type {kind!r} "
                "cannot be sent to an OpenAI-compatible provider"
            )
    text = _BLANK_LINE.join(t for t in texts if t)
    if not text and not calls:
        return []
    message: Message = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = calls
    if any(reasoning):
        message["reasoning_content"] = "".join(reasoning)
    return [message]


def _tool_call(block: dict[str, Any], where: str) -> dict[str, Any]:
    call_id, name = block.get("id"), block.get("name")
    if not isinstance(call_id, str) or not call_id or not isinstance(name, str):
        raise InvalidRequest(f"{where}: a tool_use block needs an id and a name")
    arguments = orjson.dumps(block.get("input") or {}).decode()
    return {
        "id": tool_id(call_id),
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def _web_results(block: dict[str, Any]) -> str:
    content = block.get("content")
    if not isinstance(content, list):
        return ""
    lines = ["Web search results:"]
    for item in content:
        if isinstance(item, dict) and item.get("url"):
            lines.append(f"- {item.get('title') or item['url']}: {item['url']}")
    return "\n".join(lines) if len(lines) > 1 else ""
