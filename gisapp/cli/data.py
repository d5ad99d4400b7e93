import click
@click.command("import")
def import_command(): pass
@click.command("export")
def export_command(): pass
@click.command("demo")
def demo_command(): pass
