"""Deployment files; deploy.processes starts and stops local servers for the tooling."""
