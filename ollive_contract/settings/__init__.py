"""The settings registry: every environment variable the platform reads, declared once.

One class per reader, one prefix per class. A component constructs the classes it needs at its
entry point and passes the values down; nothing below an entry point reads the environment.
The SDK's producer variables (`OLLIVE_ENDPOINT`, `OLLIVE_API_KEY`, ...) belong to the SDK
(`ollive_sdk.config`), not to this registry.
"""

from ollive_contract.settings.base import env_name, settings_env
from ollive_contract.settings.chatbot import ChatbotSettings
from ollive_contract.settings.clickhouse import ClickHouseSettings
from ollive_contract.settings.ingest import DEFAULT_PII_ENTITIES, IngestSettings
from ollive_contract.settings.object_store import ObjectStoreSettings
from ollive_contract.settings.pipeline import DEV_USER_ID_SALT, PipelineSettings
from ollive_contract.settings.stack import StackSettings
from ollive_contract.settings.superset import SupersetSettings

REGISTRY = (
    StackSettings,
    ObjectStoreSettings,
    ClickHouseSettings,
    IngestSettings,
    PipelineSettings,
    ChatbotSettings,
    SupersetSettings,
)

__all__ = [
    "DEFAULT_PII_ENTITIES",
    "DEV_USER_ID_SALT",
    "REGISTRY",
    "ChatbotSettings",
    "ClickHouseSettings",
    "IngestSettings",
    "ObjectStoreSettings",
    "PipelineSettings",
    "StackSettings",
    "SupersetSettings",
    "env_name",
    "settings_env",
]
