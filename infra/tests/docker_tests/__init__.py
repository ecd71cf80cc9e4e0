"""Tests of infra/Dockerfile: what it says, and its builder run here without Docker."""
