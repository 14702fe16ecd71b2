import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from fraudsite.env import env_str


class Command(BaseCommand):
    help = (
        "Create a superuser when none exists: ADMIN_USERNAME (default 'admin') "
        "and ADMIN_PASSWORD from the environment, or a generated password "
        "printed once."
    )

    def handle(self, *args, **options):
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            self.stdout.write("an admin login exists already")
            return
        username = env_str("ADMIN_USERNAME", "admin")
        given = env_str("ADMIN_PASSWORD", "")  # empty: generate one
        password = given or secrets.token_urlsafe(12)
        users.create_superuser(username=username, email="", password=password)
        if given:
            self.stdout.write(
                f"created admin login {username!r} (password from ADMIN_PASSWORD)"
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"created admin login {username!r} with password {password} "
                    "(shown once; change it with 'manage.py changepassword')"
                )
            )
