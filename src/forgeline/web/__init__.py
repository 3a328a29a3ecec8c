"""The web shell: base layout, navigation, static assets, HTML error pages.

Generic by design: it knows nothing of users, plants or any domain, so every domain's pages can
sit on top of it. Domains render with `forgeline.web.templating.render`.
"""
