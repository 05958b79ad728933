"""Fallback for the framework-ceiling measurement when wrk is not installed: 50 users, no
think time, one URL (spike.sh points --host at the bare app or the cached page)."""

from locust import FastHttpUser, constant, task


class Hammer(FastHttpUser):
    wait_time = constant(0)

    @task
    def page(self):
        self.client.get("/", name="page")
