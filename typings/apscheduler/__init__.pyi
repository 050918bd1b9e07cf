# APScheduler 3 ships no types: these stubs give the ones jobs/schedule_store.py relies on (its
# job store subclasses SQLAlchemyJobStore); every other name of the package reads as Any.
