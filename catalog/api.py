from django.http import HttpRequest
from ninja import Router, Schema

from catalog.models import Category

router = Router(tags=["catalog"])


class CategoryOut(Schema):
    slug: str
    name: str


@router.get("/categories", auth=None, response=list[CategoryOut], operation_id="category_list_api")
def category_list_api(request: HttpRequest):
    """Every category a service can be listed under."""
    return Category.objects.all()
