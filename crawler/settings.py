"""Scrapy settings for aidnews: polite defaults for real portals.

Local sources (the bundled demo and test portal) get no delays and short timeouts per request, set by the
spider in request meta; everything here is for the real, remote sites.
"""

BOT_NAME = "aidnews"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Identify ourselves; the contact URL comes from sources.toml [settings] user_agent_contact.
USER_AGENT = "aidnews/0.1 (aid-news research crawler; +https://github.com/aidnews/aidnews)"

# Politeness.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Retries with back-off on 429/5xx and timeouts; Retry-After honoured (crawler.middlewares.BackoffRetryMiddleware).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
RETRY_BACKOFF_BASE = 2.0  # seconds; doubled on each further retry
RETRY_BACKOFF_MAX = 120.0  # longest wait, also the cap for Retry-After

# Limits and traps.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 8
DEPTH_LIMIT = 0  # depth is limited per source by the spider (max_depth)
COOKIES_ENABLED = False  # cookies only feed session-id traps
MAX_INFLATED_SIZE = 0  # cap on a gzip sitemap's or feed's inflated size; 0: DOWNLOAD_MAXSIZE, the page cap
SITEMAP_CHILDREN_MAX = 2000  # sitemaps followed per sitemap index; the cut is recorded
# The three caps can be set from the environment: AIDNEWS_MAX_PAGE_BYTES (DOWNLOAD_MAXSIZE, which Scrapy also
# applies to Content-Encoding decompression), AIDNEWS_MAX_INFLATED_BYTES, AIDNEWS_SITEMAP_CHILDREN_MAX.

# Every connection resolves its host through this resolver, which passes on public addresses only (and
# private ones for the hosts of local sources, AIDNEWS_LOCAL_DOMAINS): no DNS rebinding, no cache.
TWISTED_DNS_RESOLVER = "crawler.resolver.PublicAddressResolver"

# No remote code execution surfaces in a long-running service.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,  # per-source check below
    "crawler.middlewares.SafetyMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
}
ITEM_PIPELINES = {
    "crawler.pipelines.StorePagesPipeline": 300,
}
STORE_BATCH_SIZE = 200

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
