from sqlalchemy.ext.asyncio import AsyncConnection
from lnob_api.seed.report import SeedReport
async def load_demo(conn: AsyncConnection, report: SeedReport) -> None:
    pass
