"""`sms-export`: the operators' command line, a thin layer over the function's own core."""
