"""Layer 8, the placement service (FastAPI): carbon-aware decisions and carbon accounts over HTTP.

``shulu serve`` runs :func:`shulu.service.app.create_app` on uvicorn. One router per resource in
:mod:`shulu.service.routers`; settings from the environment (:mod:`shulu.service.settings`).
"""
