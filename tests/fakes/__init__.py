"""Local fakes of the platforms' Bot APIs (aiohttp on 127.0.0.1) and a clock that never sleeps."""
