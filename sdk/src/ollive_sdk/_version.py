"""The SDK's name and version, stamped on every event (`sdk_name`, `sdk_version`)."""

SDK_NAME = "ollive-sdk-python"
__version__ = "0.1.0"
