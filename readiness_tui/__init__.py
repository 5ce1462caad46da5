"""readiness-tui: a production-readiness wizard for a Streamlit + API + Supabase stack."""

__version__ = "0.1.0"
