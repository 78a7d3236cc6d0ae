from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "hub.triage"
    label = "triage"
