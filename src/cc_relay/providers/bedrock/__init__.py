"""Amazon Bedrock: Claude through AWS, behind the relay's Anthropic endpoint.

Modules:
    provider      BedrockProvider: URLs, headers, body and answers for one config entry
    auth          credentials (botocore chain, profiles, config keys), SigV4, API keys
    body          the Anthropic body rewritten for InvokeModel and CountTokens; betas
    models        Anthropic model ids -> Bedrock ids and inference profiles
    eventstream   the binary AWS event-stream framing
    stream        event-stream frames -> Anthropic server-sent events
    errors        Bedrock's errors in Anthropic's shape; this package's exceptions
"""

from cc_relay.providers.bedrock.provider import BedrockProvider

__all__ = ["BedrockProvider"]
