"""`newswire api [--host H] [--port P]`: serve the search API and page under uvicorn;
`newswire api-key`: make a new API key and the digest to configure for it.

The handler imports the application lazily, so that other `newswire` commands do not pay for
importing FastAPI.
"""

import argparse
import logging
from collections.abc import Sequence

from newswire.command_line import run_command
from newswire.settings import Settings


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    api = subcommands.add_parser(
        "api",
        help="serve the search API and the search page",
        description="Serve the read-only search API (OpenAPI docs at /docs) and the search page "
        "(/) until SIGTERM or SIGINT.",
    )
    api.add_argument("--host", help="address to listen on (default: NEWSWIRE_API_HOST)")
    api.add_argument("--port", type=int, help="port to listen on (default: NEWSWIRE_API_PORT)")
    api.set_defaults(handler=_serve)
    api_key = subcommands.add_parser(
        "api-key",
        help="make a new API key and the digest that admits it",
        description="Print a new random API key (give it to a client) and its digest (add it to "
        "NEWSWIRE_API_KEY_HASHES, NEWSWIRE_API_METRICS_KEY_HASHES or the NEWSWIRE_API_KEYS_FILE): "
        "the API keeps digests only.",
    )
    api_key.set_defaults(handler=_new_api_key)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m newswire_api`: the `api` command alone."""
    return run_command("python -m newswire_api", __doc__ or "", [add_parsers], argv)


def _new_api_key(args: argparse.Namespace) -> int:
    from newswire_api.api_keys import new_key  # noqa: PLC0415 (see the module docstring)

    key, digest = new_key()
    print(f"key:    {key}\ndigest: {digest}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 (see the module docstring)

    from newswire_api.app import create_app  # noqa: PLC0415

    settings = Settings()
    # The Elasticsearch client logs every request at INFO: one line per search, slower than the
    # search itself to format. Failures still log as warnings; /metrics counts the rest.
    logging.getLogger("elastic_transport.transport").setLevel(logging.WARNING)
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.api_host,
        port=args.port if args.port is not None else settings.api_port,
        access_log=settings.api_access_log,
        log_config=None,  # keep the logging the `newswire` command set up
    )
    return 0
