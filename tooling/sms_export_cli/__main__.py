from sms_export_cli.app import main

main()
