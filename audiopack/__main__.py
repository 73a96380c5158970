from audiopack.cli import main

main()
