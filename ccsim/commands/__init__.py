"""The command-line commands, one module per planning question; `ccsim.cli` gathers
them into one typer app."""
