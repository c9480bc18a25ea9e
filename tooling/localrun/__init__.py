"""Run the function here as the platforms would: realistic contexts and a local runner."""
