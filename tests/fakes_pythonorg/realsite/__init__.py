"""Run the REAL python.org downloads API (pythondotorg's own code) locally, for parity checks.

Not used by the normal test run. It serves pythondotorg's ``apps/downloads`` resources (v1
Tastypie and v2 DRF) from a pythondotorg source tree, with only the apps they need, so the
fake (:mod:`fakes_pythonorg.server`) and the client can be compared with the real thing.
On PostgreSQL, as production runs it (Debian's ``postgresql`` package)::

    tools/pydotorg-local.sh PYDOTORG_SRC WORKDIR 8765 &   # prints the export line
    CPYTHON_RELEASE_PYDOTORG_URL=http://127.0.0.1:8765/ .venv/bin/pytest \
        tests/publish_api/test_pyorg_real_parity.py \
        tests/publish_sftp/test_publish_python_org_real.py

or on sqlite::

    git clone https://github.com/python/pythondotorg /tmp/pythondotorg-src
    python3.13 -m venv /tmp/pydotorg-venv
    /tmp/pydotorg-venv/bin/pip install Django==5.2.16 django-tastypie==0.15.1 \\
        djangorestframework==3.15.2 django-filter==25.1 django-markupfield==2.0.1 \\
        python-dateutil python-decouple==3.8 dj-database-url==0.5.0 cmarkgfm nh3 \\
        Markdown docutils requests
    /tmp/pydotorg-venv/bin/python tests/fakes_pythonorg/realsite/run.py \\
        --src /tmp/pythondotorg-src --port 8765 &
    CPYTHON_RELEASE_PYDOTORG_URL=http://127.0.0.1:8765/ \\
        .venv/bin/pytest tests/publish_api/test_pyorg_real_parity.py

``run.py`` seeds the users the tests use (staff ``rm``/``s3cret-key`` with the v2 token
``drf-token-of-rm``; non-staff ``viewer``/``viewer-key``) and the five OS objects.
"""
