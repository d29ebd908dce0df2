"""Word lists the training-data generator draws from (training only; never read by the scanner).

Public people, fictional characters and technology names are the hard negatives: a name in a
general-knowledge question is not personal data. The lists are deliberately broad rather than
long; the evaluation prompts (``bench/data/privacy_prompts.jsonl``) were written separately and
mostly name other people and products, so the model has to learn the frames, not the names.
"""

from __future__ import annotations

PUBLIC_PEOPLE = """
Albert Einstein|Isaac Newton|Charles Darwin|Ada Lovelace|Alan Turing|Nikola Tesla|Thomas Edison|Galileo Galilei
Leonardo da Vinci|Michelangelo|Vincent van Gogh|Pablo Picasso|Frida Kahlo|Claude Monet|Rembrandt
William Shakespeare|Jane Austen|Charles Dickens|Leo Tolstoy|Fyodor Dostoevsky|Mark Twain|Virginia Woolf
Ernest Hemingway|George Orwell|Toni Morrison|Gabriel García Márquez|Miguel de Cervantes|Goethe|Victor Hugo
Napoleon Bonaparte|Julius Caesar|Cleopatra|Alexander the Great|Genghis Khan|Queen Victoria|Elizabeth I
Winston Churchill|Franklin D. Roosevelt|George Washington|Thomas Jefferson|Nelson Mandela|Mahatma Gandhi
Martin Luther King Jr.|Rosa Parks|Frederick Douglass|Harriet Tubman|Otto von Bismarck|Charlemagne
Wolfgang Amadeus Mozart|Ludwig van Beethoven|Johann Sebastian Bach|Frédéric Chopin|The Beatles
Aristotle|Plato|Socrates|Confucius|Immanuel Kant|Friedrich Nietzsche|Karl Marx|Adam Smith|John Maynard Keynes
Sigmund Freud|Carl Jung|Florence Nightingale|Louis Pasteur|Gregor Mendel|Rosalind Franklin|Niels Bohr
Stephen Hawking|Carl Sagan|Richard Feynman|Johannes Kepler|Nicolaus Copernicus|Dmitri Mendeleev
Elon Musk|Bill Gates|Steve Jobs|Jeff Bezos|Warren Buffett|Oprah Winfrey|Taylor Swift|Beyoncé|Lionel Messi
Serena Williams|Roger Federer|Usain Bolt|Michael Jordan|Barack Obama|Angela Merkel|Emmanuel Macron
Greta Thunberg|Malala Yousafzai|Pope Francis|the Dalai Lama|Amelia Earhart|Neil Armstrong|Yuri Gagarin
Joan of Arc|Simón Bolívar|Che Guevara|Mao Zedong|Vladimir Lenin|Catherine the Great|Peter the Great
Hypatia|Archimedes|Euclid|Pythagoras|Leonhard Euler|Carl Friedrich Gauss|Bernhard Riemann|Emmy Noether
Grace Hopper|Linus Torvalds|Tim Berners-Lee|Dennis Ritchie|Guido van Rossum|Margaret Hamilton
Jane Goodall|David Attenborough|Rachel Carson|Sojourner Truth|Susan B. Anthony|Eleanor Roosevelt
""".replace("\n", "|").strip("|").split("|")

FICTIONAL = """
Hamlet|Ophelia|Macbeth|King Lear|Romeo|Juliet|Othello|Sherlock Holmes|Dr. Watson|Hercule Poirot|Miss Marple
Harry Potter|Hermione Granger|Frodo Baggins|Gandalf|Elizabeth Bennet|Mr. Darcy|Jay Gatsby|Atticus Finch
Don Quixote|Sancho Panza|Captain Ahab|Huckleberry Finn|Tom Sawyer|Jane Eyre|Heathcliff|Anna Karenina
Raskolnikov|Winston Smith|Holden Caulfield|Scarlett O'Hara|Bilbo Baggins|Aragorn|Darth Vader|Luke Skywalker
Homer Simpson|Mickey Mouse|Batman|Superman|Wonder Woman|Odysseus|Achilles|Zeus|Athena|Thor|Odin|Loki
Little Red Riding Hood|Cinderella|Pinocchio|Peter Pan|Alice|the Mad Hatter|Dracula|Frankenstein's monster
Jean Valjean|Emma Bovary|Gregor Samsa|Dorian Gray|Ebenezer Scrooge|Oliver Twist|Moby Dick|Captain Nemo
""".replace("\n", "|").strip("|").split("|")

WORKS = ["Hamlet", "Macbeth", "Pride and Prejudice", "War and Peace", "1984", "Moby-Dick", "The Odyssey",
         "Don Quixote", "Faust", "Les Misérables", "The Great Gatsby", "To Kill a Mockingbird", "Ulysses",
         "The Metamorphosis", "Crime and Punishment", "Jane Eyre", "Wuthering Heights", "The Iliad",
         "One Hundred Years of Solitude", "The Lord of the Rings", "Frankenstein", "Dracula", "Beloved"]

TECH = """
Kafka|Redis|Postgres|PostgreSQL|MySQL|SQLite|MongoDB|Cassandra|Elasticsearch|Kubernetes|Docker|Terraform|Ansible
Jenkins|Django|Flask|FastAPI|React|Vue|Angular|Svelte|Rust|Go|Haskell|Erlang|Elixir|Julia|Scala|Kotlin|Swift
Hadoop|Spark|Flink|Airflow|Dagster|Prefect|Celery|RabbitMQ|NATS|Pulsar|Grafana|Prometheus|Jaeger|Zipkin
Nginx|Envoy|Istio|Linkerd|Consul|Vault|Etcd|ZooKeeper|Jupyter|pandas|NumPy|PyTorch|TensorFlow|Keras
Hugging Face|LangChain|Pydantic|Gunicorn|Uvicorn|Heroku|Vercel|Netlify|Cloudflare|Fastly|Sentry|Datadog
Apollo|Hermes|Mercury|Athena|Phoenix|Sphinx|Jekyll|Hugo|Gatsby|Ruby on Rails|Laravel|Symfony|Spring Boot
Bloom filter|Dijkstra's algorithm|Bellman-Ford|Kruskal's algorithm|Prim's algorithm|the Luhn algorithm
the Sharpe ratio|the Sortino ratio|Black-Scholes|Monte Carlo simulation|Markov chains|Bayes' theorem
the Fourier transform|the Kalman filter|Gaussian elimination|Levenshtein distance|Huffman coding
Hamming codes|the Turing test|Boolean algebra|the Nash equilibrium|the Pareto principle|the Gini coefficient
Pearson correlation|Spearman's rank|the Bonferroni correction|Kaplan-Meier curves|Cox regression|Euler's method
Newton's method|the Jaccard index|Bessel functions|Lagrange multipliers|the Gantt chart|the Kanban method
the Elo rating|the Dewey decimal system|the Fibonacci sequence|Pascal's triangle|the Doppler effect
""".replace("\n", "|").strip("|").split("|")

PUBLIC_COMPANIES = ["Microsoft", "Apple", "Alphabet", "Amazon", "Meta", "Nvidia", "Tesla", "Netflix", "Intel",
                    "IBM", "Oracle", "SAP", "Siemens", "Volkswagen", "Toyota", "Samsung", "Nestlé", "Unilever",
                    "Coca-Cola", "PepsiCo", "Walmart", "Costco", "JPMorgan Chase", "Goldman Sachs", "Visa",
                    "Mastercard", "Shell", "BP", "ExxonMobil", "Pfizer", "Novartis", "Roche", "AstraZeneca",
                    "LVMH", "Airbus", "Boeing", "Adobe", "Salesforce", "Spotify", "Uber", "Airbnb", "Nike"]

GENERAL_TOPICS = ["the Roman calendar", "photosynthesis", "the French Revolution", "plate tectonics",
                  "the water cycle", "compound interest", "inflation", "the immune system", "black holes",
                  "the printing press", "the Silk Road", "quantum entanglement", "the stock market",
                  "supply and demand", "the Krebs cycle", "the Byzantine Empire", "the Cold War",
                  "climate change", "the Industrial Revolution", "how vaccines work", "the Magna Carta",
                  "the Renaissance", "the Treaty of Versailles", "natural selection", "the Big Bang",
                  "blockchain", "public-key cryptography", "TCP congestion control", "garbage collection",
                  "the CAP theorem", "eventual consistency", "B-trees", "hash tables", "recursion",
                  "the Gregorian calendar", "the Mayan calendar", "the electoral college", "the Ottoman Empire"]

# General questions ABOUT sensitive subjects: not sensitive (no instance, no person, no secret).
TOPIC_QUESTIONS = [
    "How do companies usually structure sales bonuses?", "What is a typical severance package in Germany?",
    "How does a performance improvement plan work?", "What are the common side effects of metformin?",
    "How long does it take to recover from a knee replacement?", "What is the difference between RSUs and options?",
    "How should a manager run a layoff announcement with compassion?", "What is EBITDA and why do investors use it?",
    "How do I calculate a salary band midpoint?", "What are the symptoms of burnout?",
    "What should a good NDA contain?", "How does attorney-client privilege work?",
    "What does a routing number look like?", "Explain what an IBAN is and how its check digits work.",
    "How do credit card numbers use the Luhn algorithm?", "What is a social security number used for?",
    "What is a medical record number?", "How should passwords be stored in a database?",
    "What is the best way to rotate API keys?", "What's a connection string in ADO.NET?",
    "How do I write a warning letter template for late arrivals?", "What is considered gross misconduct?",
    "What is a reasonable raise to ask for after a promotion?", "How do stock buybacks affect EPS?",
    "What are the tax rules for a signing bonus in the UK?", "How is maternity leave handled in Sweden?",
    "What is HIPAA and who does it apply to?", "What does GDPR say about employee data?",
    "How do mergers and acquisitions usually get announced?", "What is a material non-public information rule?",
    "How do I prepare for a salary negotiation?", "What are good questions to ask in an exit interview?",
    "How does depression affect sleep?", "What is the normal range for blood pressure?",
    "How do lawyers bill for litigation?", "What is a term sheet?", "What is a customer churn rate?",
    "How are quarterly earnings calls structured?", "What does 'going concern' mean in an audit?",
    "How do background checks work in the US?", "What does a payslip usually show?",
    "How is child custody usually decided?", "What is the process for filing for divorce in California?",
    "How do I reset my password if I forgot it?", "What makes a password strong?",
    "What is two-factor authentication?", "How does OAuth2 token refresh work?",
]
