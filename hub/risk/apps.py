from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "hub.risk"
    label = "risk"
