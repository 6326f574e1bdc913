"""The server's routes, one APIRouter per area, each included by `tf_tui.server.app.create_app`."""
