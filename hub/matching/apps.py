from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "hub.matching"
    label = "matching"
