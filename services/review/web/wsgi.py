from services.review.web import create_app, settings_from_env

app = create_app(settings_from_env())
