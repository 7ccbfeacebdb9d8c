"""entragit: back up and restore a Microsoft Entra ID tenant as configuration-as-code in git."""

__version__ = "0.1.0"
