"""marshmallow schemas of the JSON API: each validates a request and describes it in the OpenAPI document."""
