import click
@click.group()
def user(): pass
