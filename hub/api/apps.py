from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "hub.api"
    label = "api"
