from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "hub.triage"
    label = "triage"

    def ready(self) -> None:
        from agencies.models import User
        from hub.navigation import register

        mash = {User.Role.MASH_TRIAGER, User.Role.MASH_MANAGER}
        register(
            "MASH queue",
            "triage:queue",
            mash,
            "Children waiting for a MASH decision, soonest deadline first.",
        )
        register(
            "Manager summary",
            "triage:summary",
            {User.Role.MASH_MANAGER},
            "Decisions within deadline and late, overdue items and requests, sign-offs.",
        )
        register(
            "Information requests",
            "triage:inbox",
            {User.Role.DESIGNATED_LEAD},
            "What the MASH has asked your agency, with deadlines; answer with a sharing decision.",
        )
        register(
            "MASH feedback",
            "triage:feedback",
            {User.Role.PRACTITIONER, User.Role.DESIGNATED_LEAD},
            "What the MASH did with your agency's concerns.",
        )
