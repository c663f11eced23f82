"""Podman-based helpers for tests/test_containers.py: the base image, the project's images, the containers."""
