"""The staff web application: the hotline agents' assist panel (and, later, the analytics), one login.

  app.py       the application factory: database, Rasa client, middlewares, routes
  routes.py    every URL the application answers (JSON API and the pages)
  security.py  password hashing, sessions, CSRF, login rate limit, role checks
  db.py        the tables (accounts, sessions, failed logins) in the tracker store's database
  assist.py    what the panel shows for a caller's sentence: measures, answers, checklist, SMS text
  search.py    keyword search over the knowledge base (jieba)
  handoff.py   hand-off to a human agent: the queue page's API, take / reply / hand back, the watcher
  handoff_queue.py  the hand-off queue and agents' presence tables, service hours (also used by the actions)
  analytics.py        the analytics page, review inbox and conversations browser: pages, API, exports
  analytics_store.py  the tracker store summarised in SQL (analytics_events), the queries of those pages
  review.py           the reviewers' verdicts (staff_reviews) and their NLU YAML / CSV exports
  __main__.py  `python -m channels.staff serve | users add/disable/enable/list`
  static/      the login page, the panel and the analytics pages (plain HTML/JS/CSS, no CDN; ECharts
               from node_modules, `make install`)
"""
